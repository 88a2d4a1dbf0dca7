/* report_text */
