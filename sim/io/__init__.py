"""Files: the results writer and reader, figures saved, the HTML report."""
