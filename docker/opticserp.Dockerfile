# The KKT adapter and the emulators: one image, three commands (see docker-compose.dev.yml).
FROM python:3.11-slim

# curl and sqlite3 for the developer guide's checks inside the container (health, buffer inspection).
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl sqlite3 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY fiscal ./fiscal
COPY kkt_adapter ./kkt_adapter
COPY emulators ./emulators
COPY pytest_opticserp ./pytest_opticserp
COPY opticserp_tools ./opticserp_tools
RUN pip install --no-cache-dir .

RUN useradd --create-home --uid 1000 opticserp && mkdir -p /app/data && chown opticserp /app/data
USER opticserp
ENV PYTHONUNBUFFERED=1
EXPOSE 8000 9000 8070
CMD ["opticserp", "adapter", "--host", "0.0.0.0", "--port", "8000"]
