"""Package data: JSON schema, examples, stylesheet, icons."""
