package org.apache.iceberg.rest;

import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.gzip.GzipHandler;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;

/**
 * Native-mode launcher for the Iceberg REST catalog of iceberg-open-api 1.10.1. The
 * stock RESTCatalogServer listens on every interface and silently falls back to an
 * in-memory SQLite catalog; this one binds to REST_BIND_HOST (default 127.0.0.1) and
 * refuses to start without a real catalog database and warehouse. Catalog settings
 * come from CATALOG_* environment variables exactly as for the stock server.
 */
public final class LocalRESTCatalogServer {
  private LocalRESTCatalogServer() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> properties = new HashMap<>(RCKUtils.environmentCatalogConfig());
    for (String required : new String[] {CatalogProperties.URI, CatalogProperties.WAREHOUSE_LOCATION}) {
      if (!properties.containsKey(required)) {
        throw new IllegalStateException("CATALOG_" + required.toUpperCase() + " is not set");
      }
    }
    properties.putIfAbsent(CatalogProperties.CATALOG_IMPL, JdbcCatalog.class.getName());
    properties.putIfAbsent("jdbc.schema-version", "V1");
    // When PostgreSQL goes down, each pooled connection's next query reads "terminating
    // connection" (SQLSTATE 57P01/57P02) and, unlike the 08xxx states Iceberg already
    // retries, failed that request (HTTP 500, in Trino "Failed to load view") even with
    // PostgreSQL back. These states come before the statement runs: reconnect, run it again.
    properties.putIfAbsent("retryable_status_codes", "57P01,57P02,57P03");
    Catalog catalog = CatalogUtil.buildIcebergCatalog("rest_backend", properties, new Configuration());

    RESTCatalogServer.CatalogContext context = new RESTCatalogServer.CatalogContext(catalog, properties);
    ServletContextHandler handler = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    handler.addServlet(
        new ServletHolder(new RESTCatalogServlet(new RESTServerCatalogAdapter(context))), "/*");
    handler.insertHandler(new GzipHandler());

    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost(System.getenv().getOrDefault("REST_BIND_HOST", "127.0.0.1"));
    connector.setPort(Integer.parseInt(properties.getOrDefault(RESTCatalogServer.REST_PORT, "8181")));
    server.addConnector(connector);
    server.setHandler(handler);
    server.start();
    server.join();
  }
}
