//! The core Group schema (RFC 7643 §4.2), the Enterprise User extension (§4.3) and the common attributes every
//! resource carries (§3, §3.1), with characteristics from the representations in §8.7.1.

use super::AttrType::{Complex, DateTime, Reference, String};
use super::Mutability::{Immutable, ReadOnly};
use super::Returned::Always;
use super::Uniqueness::Server;
use super::{AttributeDef, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, SchemaDef, attr};

// RFC 7643 §4.2: "While values MAY be added or removed, sub-attributes of members are immutable." `display` is
// not in the §8.7.1 representation but appears in the §8.4 examples and is sent by Okta, so it is accepted.
const MEMBERS: [AttributeDef; 4] = [
    attr(
        "value",
        String,
        "The id of a User or Group that is a member of this Group.",
    )
    .mutab(Immutable),
    attr("$ref", Reference, "The URI of the member resource.")
        .refs(&["User", "Group"])
        .mutab(Immutable),
    attr("display", String, "A human-readable name of the member.").mutab(Immutable),
    attr("type", String, "The type of the member resource, 'User' or 'Group'.")
        .canon(&["User", "Group"])
        .mutab(Immutable),
];

// RFC 7643 §4.2 says displayName is REQUIRED although the §8.7.1 representation marks it `required: false`;
// Microsoft Entra ID relies on it to match groups, so it is required here.
const GROUP_ATTRIBUTES: [AttributeDef; 2] = [
    attr("displayName", String, "A human-readable name for the Group.").req(),
    attr("members", Complex, "A list of members of the Group.")
        .multi()
        .subs(&MEMBERS),
];

pub(super) const GROUP: SchemaDef = SchemaDef {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: &GROUP_ATTRIBUTES,
};

const MANAGER: [AttributeDef; 3] = [
    attr(
        "value",
        String,
        "The id of the SCIM resource representing the User's manager.",
    ),
    attr(
        "$ref",
        Reference,
        "The URI of the SCIM resource representing the User's manager.",
    )
    .refs(&["User"]),
    attr("displayName", String, "The displayName of the User's manager.").mutab(ReadOnly),
];

const ENTERPRISE_ATTRIBUTES: [AttributeDef; 6] = [
    attr(
        "employeeNumber",
        String,
        "Identifier assigned to a person, typically based on order of hire.",
    ),
    attr("costCenter", String, "Identifies the name of a cost center."),
    attr("organization", String, "Identifies the name of an organization."),
    attr("division", String, "Identifies the name of a division."),
    attr("department", String, "Identifies the name of a department."),
    attr(
        "manager",
        Complex,
        "The User's manager, referencing the 'id' of another User.",
    )
    .subs(&MANAGER),
];

pub(super) const ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &ENTERPRISE_ATTRIBUTES,
};

const META: [AttributeDef; 5] = [
    attr("resourceType", String, "The name of the resource type of the resource.")
        .exact()
        .mutab(ReadOnly),
    attr(
        "created",
        DateTime,
        "When the resource was added to the service provider.",
    )
    .mutab(ReadOnly),
    attr("lastModified", DateTime, "When the resource was last modified.").mutab(ReadOnly),
    attr("location", Reference, "The URI of the resource.")
        .refs(&["uri"])
        .mutab(ReadOnly),
    attr("version", String, "The version (entity tag) of the resource.")
        .exact()
        .mutab(ReadOnly),
];

pub(super) const COMMON: &[AttributeDef] = &[
    // RFC 7643 §3: the schema URIs the resource conforms to; maintained by the server from the data present.
    attr("schemas", Reference, "The schema URIs of the resource.")
        .multi()
        .req()
        .refs(&["uri"])
        .mutab(ReadOnly)
        .ret(Always),
    // RFC 7643 §3.1: id is caseExact, readOnly, returned always, unique.
    attr(
        "id",
        String,
        "A unique identifier for the resource, assigned by the service provider.",
    )
    .exact()
    .mutab(ReadOnly)
    .ret(Always)
    .uniq(Server),
    attr(
        "externalId",
        String,
        "An identifier for the resource as defined by the provisioning client.",
    )
    .exact(),
    attr("meta", Complex, "Resource metadata maintained by the service provider.")
        .mutab(ReadOnly)
        .subs(&META),
];
