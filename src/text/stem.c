/* stem.c: not yet written */
