int unused_main;
