/* tok.c: not yet written */
