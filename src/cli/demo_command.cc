int unused_demo_command;
