// Protocol layer: see ../shared/DESIGN.md §2.
