"""jupyter_kernel_test conformance suite for labnote, with every attribute set so that no test is skipped.

Run as a script (from a fresh project directory, with JUPYTER_PATH pointing at the labnote kernelspec); prints one
JSON line {"run", "failures", "errors", "skipped", "details"} for the vitest wrapper.
"""
import json
import sys
import unittest

import jupyter_kernel_test


class LabnoteKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "labnote"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("something went wrong")'

    completion_samples = [
        {"text": "Math.flo", "matches": {"floor"}},
        {"text": "const completeMe = 1; complete"},
    ]
    complete_code_samples = ["1 + 1", "const a = 1;", "function f() { return 1 }"]
    incomplete_code_samples = ["function f() {", "const items = [1, 2,", "if (true) {"]
    invalid_code_samples = ["const = ;", "1 +* 2"]

    code_page_something = "%time?"
    code_generate_error = 'throw new Error("generated for the test")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"lab" + "note"', "result": "'labnote'"},
    ]
    code_display_data = [
        {"code": 'display.html("<b>bold</b>")', "mime": "text/html"},
        {"code": 'display.markdown("# Title")', "mime": "text/markdown"},
    ]
    code_history_pattern = "6 [*] 7"  # a SQLite GLOB, as in IPython: [*] is a literal star
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "Math.max"
    code_clear_output = "clearOutput()"


class JSONResult(unittest.TextTestResult):
    pass


def main():
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(LabnoteKernelTests)
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=2, resultclass=JSONResult)
    result = runner.run(suite)
    print(json.dumps({
        "run": result.testsRun,
        "failures": len(result.failures),
        "errors": len(result.errors),
        "skipped": len(result.skipped),
        "details": [f"{test}: {text[-1500:]}" for test, text in result.failures + result.errors] + [f"skipped {test}: {why}" for test, why in result.skipped],
    }))


if __name__ == "__main__":
    main()
