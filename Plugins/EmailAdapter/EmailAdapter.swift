// The e-mail adapter: MIME in, threaded replies out.
