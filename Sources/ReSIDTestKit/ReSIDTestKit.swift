/// Integration-test defaults over the local servers: the repository's topics, the `resid`
/// binary next to the test bundle, both servers started and stopped together.
