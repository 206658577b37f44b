int unused_record_format;
