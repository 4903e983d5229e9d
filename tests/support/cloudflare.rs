//! A fake Cloudflare API v4 (being written).
