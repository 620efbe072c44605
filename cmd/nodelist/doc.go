// Command nodelist serves crns.json, the list of Aleph Cloud compute
// resource nodes with their live config, usage, GPUs and IPv6 status.
//
//	nodelist serve      serve crns.json, the pages and the debug endpoints
//	nodelist snapshot   run one refresh round and print crns.json
//	nodelist probe URL  probe one node and print what crns.json would list for it
//	nodelist simfleet   run a simulated Aleph fleet on loopback
//	nodelist demo       simfleet and serve in one process, offline
package main
