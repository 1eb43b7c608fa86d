package steps

// SpaceOctopus is the part of the port that create-space uses: spaces, teams,
// users, user roles, environments, lifecycles, project groups and tag sets.
type SpaceOctopus interface{}
