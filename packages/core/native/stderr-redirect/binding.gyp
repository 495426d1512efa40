{
  "targets": [
    {
      "target_name": "stderr_redirect",
      "sources": ["stderr_redirect.c"]
    }
  ]
}
