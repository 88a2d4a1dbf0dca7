/* stop.c: not yet written */
