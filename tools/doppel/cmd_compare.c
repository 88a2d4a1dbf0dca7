/* cmd_compare */
