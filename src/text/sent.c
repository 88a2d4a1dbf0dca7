/* sent.c: not yet written */
