import fund_ledger
def test_probe(app, client, login):
    print("FILE", fund_ledger.__file__)
    for path in ("/nope", "/static/nope.css", "/donations/999999", "/journal/9999-999999", "/api/v1/nope"):
        r = client.get(path)
        print("OUT", path, r.status_code, r.content_type, r.get_data(as_text=True)[:300].replace("\n"," "))
    m = login("manager")
    for path in ("/nope", "/static/nope.css", "/donations/999999", "/journal/9999-999999"):
        r = m.get(path)
        print("IN", path, r.status_code, r.content_type, r.get_data(as_text=True)[-600:].replace("\n"," "))
