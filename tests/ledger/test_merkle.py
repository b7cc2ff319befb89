"""The RFC 6962 Merkle tree: the published Certificate Transparency vectors, the RFC's recursive definition as
an independent oracle, every leaf of every tree of 1..300 leaves proven, and any change to a proof refused."""
from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fund_ledger.ledger.merkle import (EMPTY_ROOT, MerkleTree, gift_leaf, inclusion_proof, leaf_hash, node_hash,
                                       root, root_from_path, verify_inclusion)

# The certificate-transparency test leaves and the roots MTH(D[0:n]) for n = 0..8.
CT_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def rfc_mth(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 2.1 writes it, recursively: the oracle for the iterative tree."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((n - 1).bit_length() - 1)  # the largest power of two smaller than n
    return hashlib.sha256(b"\x01" + rfc_mth(leaves[:k]) + rfc_mth(leaves[k:])).digest()


def rfc_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 2.1.1, recursively."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return rfc_path(m, leaves[:k]) + [rfc_mth(leaves[k:])]
    return rfc_path(m - k, leaves[k:]) + [rfc_mth(leaves[:k])]


def test_the_certificate_transparency_vectors():
    assert root([]) == EMPTY_ROOT
    for n, expected in enumerate(CT_ROOTS):
        assert root(CT_LEAVES[:n]).hex() == expected
    # a published audit path: leaf 5 of the 8-leaf tree
    path = inclusion_proof(CT_LEAVES, 5)
    assert [p.hex() for p in path] == ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                                       "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                                       "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]
    assert verify_inclusion(CT_LEAVES[5], 5, 8, path, bytes.fromhex(CT_ROOTS[8]))


def test_every_leaf_of_every_tree_up_to_300_is_proven():
    leaves = [f"gift {i}".encode() for i in range(300)]
    for n in range(1, 301):
        tree = MerkleTree(leaves[:n])
        assert tree.size == n and tree.root == rfc_mth(leaves[:n])
        for m in range(n):
            path = tree.inclusion_proof(m)
            assert verify_inclusion(leaves[m], m, n, path, tree.root), (n, m)
            assert tree.leaf_hash(m) == leaf_hash(leaves[m])
        for m in {0, n // 2, n - 1}:  # the RFC's recursive PATH agrees (all of them would be slow in the oracle)
            assert list(tree.inclusion_proof(m)) == rfc_path(m, leaves[:n])


def test_a_proof_never_comes_from_outside_the_tree():
    tree = MerkleTree([b"a", b"b", b"c"])
    for index in (-1, 3, True, "0"):
        with pytest.raises(IndexError):
            tree.inclusion_proof(index)
    with pytest.raises(IndexError):
        MerkleTree([]).inclusion_proof(0)
    path = tree.inclusion_proof(2)
    assert not verify_inclusion(b"c", 2, 0, path, tree.root)
    assert not verify_inclusion(b"c", 3, 3, path, tree.root)
    assert not verify_inclusion(b"c", -1, 3, path, tree.root)
    assert not verify_inclusion(b"c", 2, 3, [p.hex() for p in path], tree.root)  # hex text is not a hash
    assert root_from_path(b"a", 0, 1, []) == leaf_hash(b"a") == MerkleTree([b"a"]).root


def test_a_leaf_cannot_pass_for_a_node():
    """The 0x00 / 0x01 prefixes: the two leaves' hashes, concatenated, are not a leaf of the one-level tree."""
    a, b = b"left", b"right"
    two = MerkleTree([a, b])
    forged = leaf_hash(a) + leaf_hash(b)
    assert two.root == node_hash(leaf_hash(a), leaf_hash(b)) != MerkleTree([forged]).root
    assert not verify_inclusion(forged, 0, 1, [], two.root)


trees = st.lists(st.binary(max_size=24), min_size=1, max_size=300, unique=True)


@st.composite
def proven_leaf(draw):
    leaves = draw(trees)
    index = draw(st.integers(0, len(leaves) - 1))
    tree = MerkleTree(leaves)
    return leaves, index, tree.inclusion_proof(index), tree.root


@settings(max_examples=300, deadline=None)
@given(proven_leaf(), st.data())
def test_any_change_to_a_proof_fails(case, data):
    leaves, index, path, root_hash = case
    n = len(leaves)
    assert verify_inclusion(leaves[index], index, n, path, root_hash)
    assert root_hash == rfc_mth(leaves)

    other = data.draw(st.binary(max_size=24).filter(lambda x: x != leaves[index]), label="changed leaf")
    assert not verify_inclusion(other, index, n, path, root_hash)

    moved = data.draw(st.integers(-2, n + 2).filter(lambda i: i != index), label="changed index")
    assert not verify_inclusion(leaves[index], moved, n, path, root_hash)

    if path:
        at = data.draw(st.integers(0, len(path) - 1), label="sibling")
        bit = data.draw(st.integers(0, 255), label="bit")
        changed = bytearray(path[at])
        changed[bit // 8] ^= 1 << (bit % 8)
        forged = (*path[:at], bytes(changed), *path[at + 1:])
        assert not verify_inclusion(leaves[index], index, n, forged, root_hash)
        assert not verify_inclusion(leaves[index], index, n, path[:-1], root_hash)  # a sibling left out
    assert not verify_inclusion(leaves[index], index, n, (*path, root_hash), root_hash)  # one too many

    bit = data.draw(st.integers(0, 255), label="root bit")
    wrong_root = bytearray(root_hash)
    wrong_root[bit // 8] ^= 1 << (bit % 8)
    assert not verify_inclusion(leaves[index], index, n, path, bytes(wrong_root))


def test_the_gift_leaf_is_canonical_json_anyone_can_rebuild():
    leaf = gift_leaf(donation=2, amount=500_000, code="RRXJZUJQZC", entry_hash="ab" * 32, fund="GENERAL",
                     received_on=date(2026, 9, 12))
    assert leaf == ('{"amount":500000,"code":"RRXJZUJQZC","donation":2,"entry_hash":"' + "ab" * 32
                    + '","fund":"GENERAL","received_on":"2026-09-12","v":1}').encode()
    value = json.loads(leaf)
    assert json.dumps(value, sort_keys=True, separators=(",", ":")).encode() == leaf  # any encoder gives it
    assert gift_leaf(donation=2, amount=500_000, code="RRXJZUJQZC", entry_hash="ab" * 32, fund="GENERAL",
                     received_on="2026-09-12") == leaf
    assert gift_leaf(donation=2, amount=500_001, code="RRXJZUJQZC", entry_hash="ab" * 32, fund="GENERAL",
                     received_on="2026-09-12") != leaf
