"""Operations: CloudWatch alarm transitions turned into messages for the operators' chat."""
