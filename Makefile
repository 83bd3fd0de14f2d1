# The README's two commands: `make demo` and `make test`. Both install what they need first.
SWIFT_FLAGS ?= -c release
TEST_FLAGS ?= -c release -Xswiftc -enable-testing

.PHONY: setup demo test build format lint

setup:
	@./Deploy/setup.sh

build: setup
	swift build $(SWIFT_FLAGS) --product resid

demo: build
	swift run $(SWIFT_FLAGS) resid demo

# Numeric tests train small models, so the suite runs optimised; -enable-testing keeps
# @testable imports available in release builds. One build of everything (the integration
# tests launch the `resid` binary as the embedded broker), then the tests without rebuilding.
test: setup
	swift build $(TEST_FLAGS) --build-tests
	swift test $(TEST_FLAGS) --skip-build

# The formatter ships with the Swift toolchain; its settings are in .swift-format.
format:
	swift format format --in-place --recursive --parallel Package.swift Sources Tests

lint:
	swift format lint --strict --recursive --parallel Package.swift Sources Tests
