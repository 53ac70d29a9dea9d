"""What the identity provider's claims say: the role its groups give, and a verified email."""

from collections.abc import Iterable, Mapping

# The roles single sign-on may give, strongest first; admin is granted in Handoff only.
MAPPABLE_ROLES = ("manager", "pm", "sales")


def parse_role_map(text: str) -> dict[str, str]:
    """Read "handoff-managers=manager,handoff-pms=pm" as {"handoff-managers": "manager", ...}.

    Raises ValueError naming the entry that is not a group=role pair of a mappable role.
    """
    mapping: dict[str, str] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        group, sep, role = (piece.strip() for piece in entry.rpartition("="))
        if not sep or not group or role not in MAPPABLE_ROLES:
            raise ValueError(
                f"OIDC_ROLE_MAP entry {entry!r} is not group=role with a role among "
                f"{', '.join(MAPPABLE_ROLES)}."
            )
        mapping[group] = role
    return mapping


def claim_values(claims: Mapping, name: str) -> list[str]:
    """A claim as a list of strings: IdPs send one group as a string, several as a list."""
    value = claims.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        return [item for item in value if isinstance(item, str)]
    return []


def role_from_claims(
    claims: Mapping, *, claim: str, role_map: Mapping[str, str], default: str
) -> str | None:
    """The strongest role the user's groups map to; `default` (None when blank) otherwise."""
    roles = {role_map[group] for group in claim_values(claims, claim) if group in role_map}
    for role in MAPPABLE_ROLES:
        if role in roles:
            return role
    return default or None


def email_verified(claims: Mapping, claim: str = "email_verified") -> bool:
    """True only when the provider says so: some send the boolean, some the string "true"."""
    value = claims.get(claim)
    return value is True or (isinstance(value, str) and value.lower() == "true")
