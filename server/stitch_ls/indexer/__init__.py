"""The indexer process and both ends of its pipe: the typed calls, the wire types, the child and the server's link to it."""
