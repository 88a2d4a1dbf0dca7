/* shingle.c: not yet written */
