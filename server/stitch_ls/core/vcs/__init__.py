"""Git and streams: the one hardened git runner, refs, streams, snapshots, stitch points and signed sign-offs."""
