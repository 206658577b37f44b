int unused_store_commands;
