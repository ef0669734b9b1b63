"""Built-in rules: one module per rule, registered through the pipelint.rules entry points."""
