/* minhash.c: not yet written */
