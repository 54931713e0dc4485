// The phone-log adapter family: call records in, callbacks out.
