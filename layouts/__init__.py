"""Built-in layouts: page geometry, type scale, colours and wording, as YAML data."""
