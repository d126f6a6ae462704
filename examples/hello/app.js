// Prints the variable the procfile sets, then stays up like a real app would, until systemd stops it.
console.log(`ENV_VAR1 is ${process.env.ENV_VAR1}`);
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => {
  console.log('stopping');
  process.exit(0);
});
