// Package stress owns the stress-load system: the utilisation server that tells
// stress pods what to consume, the stress agent that burns CPU and holds memory
// accordingly, and the controller that deploys them.
package stress
