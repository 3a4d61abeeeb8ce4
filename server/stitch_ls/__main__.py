from stitch_ls.cli import main

raise SystemExit(main())
