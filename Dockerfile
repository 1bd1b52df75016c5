# One image for every batt service: producer, workers, migrations, Flower.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY batt_tasks ./batt_tasks
COPY migrations ./migrations
# The gpu extra brings CuPy; a worker without a GPU still scores with NumPy.
RUN pip install --no-cache-dir '.[gpu]' && useradd --create-home batt
USER batt
CMD ["batt", "--help"]
