/* norm.c: not yet written */
