package emulator

// TestCertificate is testCertificate for the external tests.
var TestCertificate = testCertificate
