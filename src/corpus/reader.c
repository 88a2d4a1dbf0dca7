/* reader.c: not yet written */
