"""Publisher files -> canonical rows in the store, with every row loaded or rejected with its reason."""
