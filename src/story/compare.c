/* compare.c: not yet written */
