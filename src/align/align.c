/* align.c: not yet written */
