/**
 * Preloaded into a service's process (`node --import`) by the process playground's tests: the
 * process says why and exits with code 3 before the service loads.
 */
console.error('exits-before-ready: giving up before the service starts');
process.exit(3);
