// Package deploy holds the deploy kit: the systemd unit, its
// configuration file, the reverse proxies' configurations and the
// container file. It holds no code; its tests check the files as
// shipped (the configuration parses, nginx accepts its file, the unit
// runs what the configuration says).
package deploy
