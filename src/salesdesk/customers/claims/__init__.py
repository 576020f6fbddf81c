"""Claim protection against order grabbing (抢单/倒单, DOMAIN §9): services and selectors.

A salesperson registers a prospect before working it (`prospect_register`). The
registration creates the prospect and a claim that protects it for the policy's
`claims.protection_days`. A registration of a company that is already in the archive
(same credit code, or a name that `lib.names.match` calls the same company) is:

* refused and sent to arbitration (a `ClaimDispute`) when the company is someone else's
  customer, or their prospect under an unexpired claim. The challenger's manager and the
  owner's manager see the dispute; a manager of both parties, or an administrator,
  decides: keep it with the owner, or reassign it to the challenger;
* a takeover when the company is someone else's prospect whose protection has lapsed
  (expired or released, or never registered): it is reassigned to the registrant
  automatically, with a new claim, and audited. Expiry is what protection means: a
  prospect nobody converts within the protection period is open to colleagues again;
* a renewal when it is the registrant's own prospect and its protection has lapsed;
* refused without a dispute when it is the registrant's own customer or protected claim
  (nothing to arbitrate), or blacklisted.
"""
