/* lsh.c: not yet written */
