"""What the pages and the API share: the request's database session, who is asking (log-in, tokens, roles,
CSRF), errors as answers, downloads, the language, throttles. Both edges may import it; it imports neither."""
