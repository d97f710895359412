-- Who holds a webhook update's claim: each claim gets a fresh token, so a processor whose lease
-- ran out (and was taken over) can no longer give back the claim of the one that took it over.
ALTER TABLE processed_updates ADD COLUMN claim_token uuid;
