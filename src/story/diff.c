/* diff.c: not yet written */
