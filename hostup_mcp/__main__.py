from hostup_mcp.cli import main

raise SystemExit(main())
