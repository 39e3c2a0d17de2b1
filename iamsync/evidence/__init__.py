"""Evidence of use: CloudTrail records, and what they say a principal needed and used."""
